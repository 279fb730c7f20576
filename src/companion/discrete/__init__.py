"""Discrete image spaces (Dai & Gifford): Hamming graphs, exact breadth-first search, bounds."""
