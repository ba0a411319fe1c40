package outbox_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openliveness/openliveness/internal/testenv"
	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/webhook"
)

// startReceiver runs one of the reference receivers in testdata/interop with
// the given secret and returns its URL. It skips the test when the runtime
// (or, for Node, the installed standardwebhooks package) is missing.
func startReceiver(t *testing.T, runtime, script, secret string) string {
	t.Helper()
	bin, err := exec.LookPath(runtime)
	if err != nil {
		testenv.Missing(t, "%s not installed: interop test skipped", runtime)
	}
	dir := filepath.Join("testdata", "interop")
	if runtime == "node" {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "standardwebhooks", "package.json")); err != nil {
			testenv.Missing(t, "standardwebhooks not installed: run `npm ci --prefix liveness/outbox/testdata/interop`; interop test skipped")
		}
	}
	cmd := exec.CommandContext(t.Context(), bin, script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WEBHOOK_SECRET="+secret)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close() // the receiver exits when its stdin closes
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	port, ok := strings.CutPrefix(strings.TrimSpace(line), "PORT ")
	if err != nil || !ok {
		t.Fatalf("receiver did not report its port: %q, %v", line, err)
	}
	go io.Copy(io.Discard, stdout)
	return "http://127.0.0.1:" + port + "/hook"
}

type receiverAnswer struct {
	Verified []string       `json:"verified"`
	Error    string         `json:"error"`
	Event    map[string]any `json:"event"`
}

// TestInterop delivers signed webhooks to receivers written in Node
// (crypto.createHmac + timingSafeEqual, and the standardwebhooks package)
// and in Python (hmac.compare_digest), which verify every scheme present.
func TestInterop(t *testing.T) {
	all := webhook.SchemeBody | webhook.SchemeTimestamped | webhook.SchemeStandard
	for _, rc := range []struct{ runtime, script string }{{"node", "receiver.js"}, {"python3", "receiver.py"}} {
		t.Run(rc.runtime, func(t *testing.T) {
			url := startReceiver(t, rc.runtime, rc.script, secretA)
			d, err := outbox.New(outbox.WithInsecureTargets(), outbox.WithLogger(discard()), outbox.WithRetryPolicy(outbox.NoRetryPolicy()))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			deliver := func(ep outbox.Endpoint, typ event.EventType) (outbox.Delivery, receiverAnswer) {
				t.Helper()
				pass, score := typ == event.SessionVerified, 0.91
				ev, err := d.NewEvent(typ, event.SessionData{SessionID: "sess_interop", Passed: &pass, Score: &score,
					Metadata: map[string]string{"note": "caf\u00e9 <&> \u2713"}})
				if err != nil {
					t.Fatal(err)
				}
				del, err := d.Enqueue(t.Context(), ep, ev)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := d.DeliverDue(t.Context()); err != nil {
					t.Fatal(err)
				}
				del, _ = d.Delivery(t.Context(), del.ID)
				as, _ := d.Attempts(t.Context(), del.ID)
				var ans receiverAnswer
				if len(as) != 1 || json.Unmarshal([]byte(as[0].Response), &ans) != nil {
					t.Fatalf("attempts %+v", as)
				}
				return del, ans
			}
			ep := outbox.Endpoint{ID: "interop", URL: url, Secrets: webhook.Secrets{{Value: secretA}}, Schemes: all}

			for _, tc := range []struct {
				name    string
				schemes webhook.Scheme
				format  event.Format
				secrets webhook.Secrets
				want    []string
			}{
				{"default schemes", 0, event.FormatEvent, webhook.Secrets{{Value: secretA}}, []string{"body", "standard"}},
				{"all schemes", all, event.FormatEvent, webhook.Secrets{{Value: secretA}}, []string{"body", "timestamped", "standard"}},
				{"flat payload", all, event.FormatCompleted, webhook.Secrets{{Value: secretA}}, []string{"body", "timestamped", "standard"}},
				{"rotation overlap", all, event.FormatEvent,
					webhook.Secrets{{Value: secretB}, {Value: secretA, Expires: time.Now().Add(time.Hour)}}, []string{"body", "timestamped", "standard"}},
			} {
				ep := ep.Clone()
				ep.Schemes, ep.Format, ep.Secrets = tc.schemes, tc.format, tc.secrets
				del, ans := deliver(ep, event.SessionVerified)
				if del.State != outbox.StateDelivered || !slices.Equal(ans.Verified, tc.want) {
					t.Errorf("%s: state %s, receiver verified %v (error %q), want %v", tc.name, del.State, ans.Verified, ans.Error, tc.want)
				}
				if tc.format == event.FormatCompleted && ans.Event["event"] != "session.completed" {
					t.Errorf("%s: receiver parsed %v", tc.name, ans.Event)
				}
			}

			// Signed with a secret the receiver does not have: refused, and
			// the 401 is not retried.
			wrong := ep.Clone()
			wrong.Secrets = webhook.Secrets{{Value: secretB}}
			if del, ans := deliver(wrong, event.SessionFailed); del.State != outbox.StateFailed || del.LastStatus != 401 || ans.Error == "" {
				t.Errorf("wrong secret: state %s status %d answer %+v", del.State, del.LastStatus, ans)
			}

			// Hand-made requests: a modified body and stale or future
			// timestamps are refused by each scheme.
			body := []byte(`{"event":"session.completed","session_id":"s","passed":true}`)
			post := func(schemes webhook.Scheme, at time.Time, sent []byte) int {
				t.Helper()
				h := http.Header{}
				s := webhook.Signer{Schemes: schemes, Secrets: webhook.Secrets{{Value: secretA}}}
				if err := s.Sign(h, "9d3c1f7e-4b6a-4e2d-8c1b-5a7f9e3d2c10", at, body); err != nil {
					t.Fatal(err)
				}
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(sent))
				req.Header = h
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			now := time.Now()
			modified := bytes.Replace(body, []byte("true"), []byte("tru\u0065"), 1)
			modified = append(modified, ' ')
			for _, sc := range []webhook.Scheme{webhook.SchemeBody, webhook.SchemeTimestamped, webhook.SchemeStandard} {
				if got := post(sc, now, body); got != 200 {
					t.Errorf("%v, intact: status %d", sc, got)
				}
				if got := post(sc, now, modified); got != 401 {
					t.Errorf("%v, modified body: status %d, want 401", sc, got)
				}
				if sc == webhook.SchemeBody {
					continue
				}
				for _, skew := range []time.Duration{-400 * time.Second, 400 * time.Second} {
					if got := post(sc, now.Add(skew), body); got != 401 {
						t.Errorf("%v, timestamp %v off: status %d, want 401", sc, skew, got)
					}
				}
			}
		})
	}
}
