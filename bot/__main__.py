"""`python -m bot` is the same as `acubot`."""

from bot.cli import main

raise SystemExit(main())
