package server_test

import (
	"flag"
	"fmt"
	"io"

	"github.com/openliveness/openliveness/liveness/server"
)

// A main registers the shared flags, adds its own, parses both with their
// environment variables, and gets a validated Config.
func ExampleRegisterFlags() {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	finish := server.RegisterFlags(fs, server.DefaultConfig())
	dataDir := fs.String("data-dir", "", "the main's own flag")
	env := map[string]string{"OPENLIVENESS_RATE_LIMIT": "10", "OPENLIVENESS_DATA_DIR": "/var/lib/openliveness"}
	if err := server.ParseFlags(fs, []string{"-webhook-retry", "once", "-rate-limit", "20"}, func(k string) string { return env[k] }); err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := finish()
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg.StateDir = *dataDir
	fmt.Println(cfg.Addr, cfg.RateLimit, cfg.WebhookRetry.Delays, cfg.StateDir)
	// Output: 127.0.0.1:8080 20 [5s] /var/lib/openliveness
}
