"""``python -m drugscreen`` entry point."""

from drugscreen.cli import main

if __name__ == "__main__":
    main()
