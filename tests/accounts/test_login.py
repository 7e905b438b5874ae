"""Staff sign in with their email address; passwords are hashed with argon2."""

from __future__ import annotations

from django.test import Client as HttpClient

from veilleur.accounts.models import StaffUser


def test_login_page_renders(client: HttpClient, db: None) -> None:
    response = client.get("/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content and b'type="email"' in response.content


def test_home_requires_sign_in(client: HttpClient, db: None) -> None:
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_sign_in_with_email_any_case(client: HttpClient, owner: StaffUser) -> None:
    assert owner.password.startswith("argon2$")
    response = client.post(
        "/login/", {"username": "OWNER@atelier.example", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert owner.agency.name.encode() in home.content


def test_wrong_password_is_refused_without_detail(client: HttpClient, owner: StaffUser) -> None:
    response = client.post("/login/", {"username": owner.email, "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_health_answers_when_the_database_does(client: HttpClient, db: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "up"}
