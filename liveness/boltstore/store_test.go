package boltstore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/boltstore"
	"github.com/openliveness/openliveness/liveness/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) liveness.Store {
		s, err := boltstore.Open(filepath.Join(t.TempDir(), "sessions.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.db")
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sess := &liveness.Session{ID: "s1", Status: liveness.StatusPending, ExpiresAt: now.Add(time.Minute), Frames: 3}
	if err := s.Create(ctx, sess); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Get(ctx, "s1")
	if err != nil || got.Frames != 3 || got.Version != 1 {
		t.Fatalf("after restart: %+v %v", got, err)
	}
	ids, _ := s.ExpiredPending(ctx, now.Add(time.Minute), 0)
	if len(ids) != 1 || ids[0] != "s1" {
		t.Errorf("pending index after restart: %v", ids)
	}
}
