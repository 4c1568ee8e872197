// Implementation lands with its work.
