package main

// Face verification modes (docs/verify.md):
//
//	analyze -embed FILE...
//
// prints one JSON line per image, {"file":..., "model":..., "embedding":[192
// values]}, for the one face of the image (an image with no face, or with
// two faces of similar size, is an error for that file).
//
//	analyze -compare [-json] A B
//
// prints the similarity of the faces of images A and B, the threshold and
// the decision: "score 0.712 threshold 0.430 match", or with -json
// {"a":..., "b":..., "score":..., "threshold":..., "match":bool}. The exit
// status is 0 whatever the decision, 1 when a face cannot be embedded and 2
// on usage errors.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/openliveness/openliveness/face"
)

type jsonEmbedding struct {
	File      string    `json:"file"`
	Model     string    `json:"model"`
	Embedding []float32 `json:"embedding"`
}

type jsonCompare struct {
	A         string  `json:"a"`
	B         string  `json:"b"`
	Score     float64 `json:"score"`
	Threshold float64 `json:"threshold"`
	Match     bool    `json:"match"`
}

func runVerify(ctx context.Context, an *face.Analyzer, files []string, o options, stdout, stderr io.Writer) int {
	if o.embed && o.compare {
		fmt.Fprintln(stderr, "analyze: -embed and -compare exclude each other")
		return 2
	}
	if o.compare && len(files) != 2 {
		fmt.Fprintln(stderr, "analyze: -compare needs exactly two images")
		return 2
	}
	em, err := face.NewEmbedder()
	if err != nil {
		fmt.Fprintln(stderr, "analyze:", err)
		return 1
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	embs := make([]*face.Embedding, len(files))
	status := 0
	for i, file := range files {
		e, err := embedFile(ctx, an, em, file)
		if err != nil {
			fmt.Fprintf(stderr, "analyze: %s: %v\n", file, err)
			status = 1
			continue
		}
		embs[i] = e
		if o.embed {
			if err := enc.Encode(jsonEmbedding{File: file, Model: face.EmbeddingModelVersion, Embedding: e[:]}); err != nil {
				return 1
			}
		}
	}
	if !o.compare || status != 0 {
		return status
	}
	score, same := face.Match(embs[0], embs[1])
	if o.json {
		if err := enc.Encode(jsonCompare{A: files[0], B: files[1], Score: score, Threshold: face.MatchThreshold, Match: same}); err != nil {
			return 1
		}
		return 0
	}
	decision := "no match"
	if same {
		decision = "match"
	}
	fmt.Fprintf(out, "score %.3f threshold %.3f %s\n", score, face.MatchThreshold, decision)
	return 0
}

// embedFile embeds the one face of an image file.
func embedFile(ctx context.Context, an *face.Analyzer, em *face.Embedder, file string) (*face.Embedding, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	img, err := face.Decode(data, nil)
	if err != nil {
		return nil, err
	}
	return em.EmbedPhoto(ctx, an, img)
}
