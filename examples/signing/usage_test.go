package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestHelpComplete: -h names both commands and the flags of each.
func TestHelpComplete(t *testing.T) {
	var out, errb bytes.Buffer
	assert.Equal(t, 0, run(context.Background(), []string{"-h"}, &out, &errb, nil))
	for _, want := range []string{"signing verify -log", "-addr", "-data-dir", "-challenge-count"} {
		assert.Contains(t, errb.String(), want)
	}
	errb.Reset()
	assert.Equal(t, 0, run(context.Background(), []string{"verify", "-h"}, &out, &errb, nil))
	for _, want := range []string{"-log", "-keys", "-receipt", "-document"} {
		assert.Contains(t, errb.String(), want)
	}
}
