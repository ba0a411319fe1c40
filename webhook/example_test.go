package webhook_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"time"

	"github.com/openliveness/openliveness/webhook"
	"github.com/openliveness/openliveness/webhook/webhooktest"
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
		c, err := webhook.ParseCompleted(body)
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

func ExampleEvent_Payload() {
	pass, score := false, 0.12
	ev, err := webhook.NewEvent("evt_1", webhook.SessionFailed, time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
		webhook.SessionData{SessionID: "sess_1", Passed: &pass, Score: &score, Reason: "spoof_suspected"})
	if err != nil {
		panic(err)
	}
	envelope, _ := ev.Payload(webhook.FormatEvent)
	flat, _ := ev.Payload(webhook.FormatCompleted)
	fmt.Println(string(envelope))
	fmt.Println(string(flat))
	// Output:
	// {"id":"evt_1","object":"event","type":"session.failed","created":1748779200,"data":{"session_id":"sess_1","passed":false,"score":0.12,"reason":"spoof_suspected"}}
	// {"event":"session.completed","event_id":"evt_1","session_id":"sess_1","passed":false,"score":0.12,"reason":"spoof_suspected","timestamp":"2025-06-01T12:00:00Z"}
}

func ExampleForbidden() {
	for _, a := range []string{"8.8.8.8", "169.254.169.254", "100.64.1.2", "::ffff:127.0.0.1", "fd00::1"} {
		verdict := "allowed"
		if reason, bad := webhook.Forbidden(netip.MustParseAddr(a)); bad {
			verdict = "refused: " + reason
		}
		fmt.Printf("%-16s %s\n", a, verdict)
	}
	// Output:
	// 8.8.8.8          allowed
	// 169.254.169.254  refused: link-local
	// 100.64.1.2       refused: CGNAT shared address space
	// ::ffff:127.0.0.1 refused: IPv4-mapped loopback
	// fd00::1          refused: unique-local
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

// The dispatcher stores each event before sending it, and retries on the
// schedule; here the receiver fails once, and a test clock stands in for
// the 5 s wait.
func ExampleDispatcher() {
	recv := webhooktest.NewReceiver(http.StatusServiceUnavailable, http.StatusOK)
	srv := httptest.NewServer(recv)
	defer srv.Close()
	clock := webhooktest.NewClock(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	d, err := webhook.New(
		webhook.WithStore(webhook.NewMemoryStore()), // boltstore.Open(...) for durability
		webhook.WithClock(clock),
		webhook.WithInsecureTargets(), // httptest is plain http on loopback
		webhook.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		panic(err)
	}
	defer d.Close()

	ctx := context.Background()
	ep := webhook.Endpoint{ID: "acme", URL: srv.URL, Secrets: webhook.Secrets{{Value: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}}
	pass, score := true, 0.97
	ev, _ := d.NewEvent(webhook.SessionVerified, webhook.SessionData{SessionID: "sess_1", Passed: &pass, Score: &score})
	del, _ := d.Enqueue(ctx, ep, ev)

	d.DeliverDue(ctx) // Run(ctx) does this in a loop
	clock.Advance(6 * time.Second)
	d.DeliverDue(ctx)

	del, _ = d.Delivery(ctx, del.ID)
	attempts, _ := d.Attempts(ctx, del.ID)
	fmt.Println(del.State, "after", del.Attempts, "attempts")
	for _, a := range attempts {
		fmt.Println(a.N, a.StatusCode, a.Error)
	}
	// Output:
	// delivered after 2 attempts
	// 1 503 HTTP 503 Service Unavailable
	// 2 200
}
