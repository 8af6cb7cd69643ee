// Command tuopin runs a county's poverty-alleviation work system: the
// household registry, its import, the demo county, accounts and the web
// server. Run "tuopin help" for the commands.
package main

import (
	"os"
	"runtime/pprof"

	"tuopin/internal/cli"
)

func main() {
	// TUOPIN_CPUPROFILE=FILE writes a CPU profile of the command, to find
	// where a slow run spends its time.
	if path := os.Getenv("TUOPIN_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				code := cli.Run(os.Args[1:], os.Stdout, os.Stderr)
				pprof.StopCPUProfile()
				f.Close()
				os.Exit(code)
			}
		}
	}
	os.Exit(cli.Run(os.Args[1:], os.Stdout, os.Stderr))
}
