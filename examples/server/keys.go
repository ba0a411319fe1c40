package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/openliveness/openliveness/liveness/apikey"
)

const keysUsage = `usage:
  server keys create [-name NAME] [-tenant T] [-admin] [-data-dir DIR]
                                                    create a key; it is printed once. Keys of one
                                                    tenant see each other's sessions and no other's
                                                    (default: a tenant of its own); -admin sees all
  server keys list [-data-dir DIR]                  list keys (prefixes only)
  server keys revoke [-data-dir DIR] PREFIX         revoke a key
DIR defaults to $OPENLIVENESS_DATA_DIR, else $XDG_DATA_HOME/openliveness or
~/.local/share/openliveness (outside the checkout); run the server with the same -data-dir.
`

// keysCommand manages the API keys of a data directory.
func keysCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, keysUsage)
		return 2
	}
	sub := args[0]
	fs := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := defaultKeysDir(getenv)
	dir := fs.String("data-dir", def, "data directory holding keys.json")
	name := fs.String("name", "", "label of the new key (create)")
	tenant := fs.String("tenant", "", "tenant of the new key (create; default: a tenant of its own)")
	admin := fs.Bool("admin", false, "the new key sees every tenant's sessions (create)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "keys: no -data-dir given and neither OPENLIVENESS_DATA_DIR, XDG_DATA_HOME nor HOME is set")
		return 2
	}
	store, err := apikey.OpenFile(filepath.Join(*dir, "keys.json"))
	if err != nil {
		fmt.Fprintln(stderr, "keys:", err)
		return 1
	}
	switch sub {
	case "create":
		if fs.NArg() != 0 {
			fmt.Fprint(stderr, keysUsage)
			return 2
		}
		tmpl := apikey.Key{Name: *name, Tenant: *tenant}
		if *admin {
			tmpl.Role = apikey.RoleAdmin
		}
		key, rec, err := apikey.CreateKey(ctx, store, tmpl, rand.Reader, time.Now())
		if err != nil {
			fmt.Fprintln(stderr, "keys:", err)
			return 1
		}
		fmt.Fprintln(stdout, key)
		fmt.Fprintf(stderr, "created %s in %s; the key above is shown only once. Start the server with -data-dir %s\n", rec.Prefix, store.Path(), *dir)
	case "list":
		list, err := store.List(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "keys:", err)
			return 1
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PREFIX\tNAME\tTENANT\tCREATED\tSTATUS")
		for _, k := range list {
			status := "active"
			if k.Revoked() {
				status = "revoked " + k.RevokedAt.Format(time.RFC3339)
			}
			tenant := k.TenantID()
			if k.Admin() {
				tenant += " (admin)"
			}
			fmt.Fprintf(tw, "%s…\t%s\t%s\t%s\t%s\n", k.Prefix, k.Name, tenant, k.CreatedAt.Format(time.RFC3339), status)
		}
		tw.Flush()
	case "revoke":
		if fs.NArg() != 1 {
			fmt.Fprint(stderr, keysUsage)
			return 2
		}
		prefix := apikey.PrefixOf(fs.Arg(0))
		if err := store.Revoke(ctx, prefix, time.Now()); err != nil {
			fmt.Fprintln(stderr, "keys:", err)
			return 1
		}
		fmt.Fprintf(stdout, "revoked %s\n", prefix)
	default:
		fmt.Fprint(stderr, keysUsage)
		return 2
	}
	return 0
}

// defaultKeysDir is the data directory of the keys commands:
// $OPENLIVENESS_DATA_DIR, else $XDG_DATA_HOME/openliveness, else
// $HOME/.local/share/openliveness; never the working directory, which is
// often a checkout.
func defaultKeysDir(getenv func(string) string) string {
	if d := getenv("OPENLIVENESS_DATA_DIR"); d != "" {
		return d
	}
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "openliveness")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "openliveness")
	}
	return ""
}
