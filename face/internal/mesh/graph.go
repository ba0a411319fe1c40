package mesh

import (
	"fmt"

	"github.com/openliveness/openliveness/face/internal/nn"
)

// The tfjs graph-model format (spec §2) is read by package nn, shared with
// the face embedding network.

type graph = nn.Graph

func parseGraph(jsonData, bin []byte) (*graph, error) {
	g, err := nn.ParseGraph(jsonData, bin)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModel, err)
	}
	return g, nil
}
