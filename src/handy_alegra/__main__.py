from handy_alegra.cli import main

main()
