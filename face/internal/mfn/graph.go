package mfn

import (
	"fmt"

	"github.com/openliveness/openliveness/face/internal/nn"
)

// The TensorFlow.js graph-model format is read by package nn, shared with
// the landmark model.

type graph = nn.Graph

func parseGraph(jsonData, bin []byte) (*graph, error) {
	g, err := nn.ParseGraph(jsonData, bin)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModel, err)
	}
	return g, nil
}
