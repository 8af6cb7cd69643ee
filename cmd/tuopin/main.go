// Command tuopin runs a county's poverty-alleviation work system: the
// household registry, its import, the demo county, accounts and the web
// server. Run "tuopin help" for the commands.
package main

import (
	"os"

	"tuopin/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], os.Stdout, os.Stderr))
}
