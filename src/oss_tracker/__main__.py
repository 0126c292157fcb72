from oss_tracker.cli import main

main()
