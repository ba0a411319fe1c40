package evidence_test

import (
	"context"
	"fmt"
	"os"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/evidence"
)

// An engine keeps its sessions' evidence in a directory.
func Example() {
	dir, err := os.MkdirTemp("", "evidence")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	store, err := evidence.NewDir(dir)
	if err != nil {
		panic(err)
	}
	eng, err := liveness.New(liveness.WithEvidenceStore(store))
	fmt.Println(eng != nil, err)

	// The engine writes and reads objects by session and name.
	ctx := context.Background()
	_ = store.Put(ctx, "session-1", "manifest.json", []byte(`{}`))
	b, err := store.Get(ctx, "session-1", "manifest.json")
	fmt.Println(string(b), err)
	// Output:
	// true <nil>
	// {} <nil>
}
