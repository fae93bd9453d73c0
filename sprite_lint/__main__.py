from __future__ import annotations

from sprite_lint.runner import main

if __name__ == "__main__":
    main()
