package webhook_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/openliveness/openliveness/webhook"
)

func ExampleSignBody() {
	fmt.Println(webhook.SignBody([]byte("It's a Secret to Everybody"), []byte("Hello, World!")))
	// Output: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17
}

// A Go receiver: the middleware verifies the Standard Webhooks signature
// and hands the raw body on to the handler.
func ExampleVerifier_Middleware() {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	now := time.Unix(1748779200, 0)
	v := &webhook.Verifier{
		Scheme:  webhook.SchemeStandard,
		Secrets: []string{secret},
		Now:     func() time.Time { return now }, // omit in production
	}
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var c struct { // or event.ParseCompleted from openliveness/liveness/event
			SessionID string `json:"session_id"`
			Passed    bool   `json:"passed"`
		}
		err := json.Unmarshal(body, &c)
		fmt.Println("handler:", c.SessionID, c.Passed, err)
	}))

	body := `{"event":"session.completed","session_id":"sess_1","passed":true,"score":0.98,"reason":null,"timestamp":"2025-06-01T12:00:00Z"}`
	for _, sent := range []string{body, strings.Replace(body, "0.98", "0.99", 1)} {
		req := httptest.NewRequest(http.MethodPost, "/hooks/liveness", strings.NewReader(sent))
		s := webhook.Signer{Schemes: webhook.SchemeStandard, Secrets: webhook.Secrets{{Value: secret}}}
		s.Sign(req.Header, "msg_1", now, []byte(body)) // signs the original body
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println("status:", rec.Code)
	}
	// Output:
	// handler: sess_1 true <nil>
	// status: 200
	// status: 401
}

func ExampleSecrets_RotateOverlap() {
	now := time.Unix(1748779200, 0)
	secrets := webhook.Secrets{{Value: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}
	secrets = secrets.RotateOverlap("whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24h", now, 24*time.Hour)
	fmt.Println("signing now:", len(secrets.Active(now)))
	fmt.Println("signing in 25 h:", len(secrets.Active(now.Add(25*time.Hour))))
	// Output:
	// signing now: 2
	// signing in 25 h: 1
}
