"""Pure Python, no Django: the rules every figure Veilleur shows must follow."""
