from artdesk.cli import main

raise SystemExit(main())
