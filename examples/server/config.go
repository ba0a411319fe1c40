package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/openliveness/openliveness/liveness/server"
)

var errHelp = errors.New("help requested")

// config is the server's configuration: the shared settings of
// liveness/server and the data directory of the embedded stores.
type config struct {
	server.Config
	dataDir string
}

// backendFlags are the flags of this server beyond server.SharedFlags.
var backendFlags = []string{"data-dir"}

// newFlagSet registers the server's flags on a new FlagSet; after Parse,
// finish returns the configuration.
func newFlagSet(stderr io.Writer) (fs *flag.FlagSet, finish func() (*config, error)) {
	fs = flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	shared := server.RegisterFlags(fs, server.DefaultConfig())
	var dataDir string
	fs.StringVar(&dataDir, "data-dir", "", "directory of the durable stores (default: memory only)")
	return fs, func() (*config, error) {
		sc, err := shared()
		if err != nil {
			return nil, err
		}
		sc.StateDir = dataDir
		return &config{Config: sc, dataDir: dataDir}, nil
	}
}

// parseConfig reads flags, with environment variables as defaults.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	fs, finish := newFlagSet(stderr)
	if err := server.ParseFlags(fs, args, getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (commands: keys)", fs.Arg(0))
	}
	return finish()
}
