package httpapi

import (
	"encoding/base64"
	"errors"
	"strings"
)

// decodeB64 decodes plain base64, padded or not (reference_image_b64).
func decodeB64(e string) ([]byte, error) {
	if strings.HasPrefix(e, "data:") {
		return nil, errors.New("data: URI")
	}
	enc := base64.StdEncoding
	if !strings.HasSuffix(e, "=") && len(e)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	return enc.DecodeString(e)
}
