package server

import (
	"flag"
	"fmt"
	"strings"
)

// EnvName is the environment variable of a flag: OPENLIVENESS_ and the
// flag's name in upper case with '-' as '_' ("rate-limit":
// OPENLIVENESS_RATE_LIMIT).
func EnvName(flagName string) string {
	return "OPENLIVENESS_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// ApplyEnv gives every flag of fs its environment variable: the variable's
// name is added to the flag's usage (shown by -h) and a non-empty value
// is set on the flag, before fs.Parse, so that the command line still
// wins. A value the flag refuses is an error naming the variable, never
// silently ignored.
func ApplyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := EnvName(f.Name)
		if !strings.Contains(f.Usage, name) {
			f.Usage += " ($" + name + ")"
		}
		v := getenv(name)
		if v == "" || err != nil {
			return
		}
		if serr := fs.Set(f.Name, v); serr != nil {
			err = fmt.Errorf("%s=%q: %v", name, v, serr)
		}
	})
	return err
}
