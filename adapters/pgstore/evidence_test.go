package pgstore_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openliveness/openliveness/adapters/pgstore"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/evidence"

	"github.com/stretchr/testify/assert"
)

// TestEvidenceMatchesMemory runs the same operations on the PostgreSQL
// store and on evidence.Memory and expects the same results.
func TestEvidenceMatchesMemory(t *testing.T) {
	_, p := migrated(t)
	ctx := t.Context()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	stores := []interface {
		liveness.EvidenceStore
		liveness.EvidenceLister
	}{pgstore.NewEvidenceStore(p, clock), evidence.NewMemory(clock)}
	type op struct {
		at            time.Duration
		put, get, del bool
		session, name string
		data          string
		listBefore    time.Duration
	}
	ops := []op{
		{at: 0, put: true, session: "s1", name: "manifest.json", data: "m1"},
		{at: time.Minute, put: true, session: "s2", name: "face.jpg", data: "\x00\xff"},
		{at: 2 * time.Minute, put: true, session: "s1", name: "frame-1.jpg", data: ""},
		{get: true, session: "s1", name: "manifest.json"},
		{get: true, session: "s1", name: "frame-1.jpg"},
		{get: true, session: "s2", name: "face.jpg"},
		{get: true, session: "s2", name: "missing"},
		{listBefore: 90 * time.Second},
		{listBefore: time.Hour},
		{at: 3 * time.Minute, put: true, session: "s2", name: "face.jpg", data: "replaced"},
		{get: true, session: "s2", name: "face.jpg"},
		{del: true, session: "s1"},
		{get: true, session: "s1", name: "manifest.json"},
		{listBefore: time.Hour},
	}
	for i, o := range ops {
		var results [2]string
		for j, s := range stores {
			now = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Add(o.at)
			var res string
			switch {
			case o.put:
				res = errString(s.Put(ctx, o.session, o.name, []byte(o.data)))
			case o.get:
				b, err := s.Get(ctx, o.session, o.name)
				if errors.Is(err, liveness.ErrNotFound) {
					err = liveness.ErrNotFound
				}
				res = string(b) + "|" + errString(err)
			case o.del:
				res = errString(s.Delete(ctx, o.session))
			default:
				ids, err := s.SessionsBefore(ctx, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Add(o.listBefore))
				slices.Sort(ids)
				res = errString(err) + "|" + strings.Join(ids, ",")
			}
			results[j] = res
		}
		assert.Equal(t, results[1], results[0], "op %d %+v: postgres vs memory", i, o)
	}
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}
