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
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		stdin.Close() // the receiver exits when its stdin closes
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	port, ok := strings.CutPrefix(strings.TrimSpace(line), "PORT ")
	require.NoError(t, err, "receiver did not report its port: %q", line)
	require.True(t, ok, "receiver did not report its port: %q", line)
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
			require.NoError(t, err)
			defer d.Close()
			deliver := func(ep outbox.Endpoint, typ event.EventType) (outbox.Delivery, receiverAnswer) {
				t.Helper()
				pass, score := typ == event.SessionVerified, 0.91
				ev, err := d.NewEvent(typ, event.SessionData{SessionID: "sess_interop", Passed: &pass, Score: &score,
					Metadata: map[string]string{"note": "caf\u00e9 <&> \u2713"}})
				require.NoError(t, err)
				del, err := d.Enqueue(t.Context(), ep, ev)
				require.NoError(t, err)
				_, err = d.DeliverDue(t.Context())
				require.NoError(t, err)
				del, _ = d.Delivery(t.Context(), del.ID)
				as, _ := d.Attempts(t.Context(), del.ID)
				var ans receiverAnswer
				require.Len(t, as, 1, "attempts")
				require.NoError(t, json.Unmarshal([]byte(as[0].Response), &ans), "attempts %+v", as)
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
				assert.Equal(t, outbox.StateDelivered, del.State, "%s (receiver error %q)", tc.name, ans.Error)
				assert.Equal(t, tc.want, ans.Verified, "%s: receiver verified (error %q)", tc.name, ans.Error)
				if tc.format == event.FormatCompleted {
					assert.Equal(t, "session.completed", ans.Event["event"], "%s: receiver parsed %v", tc.name, ans.Event)
				}
			}

			// Signed with a secret the receiver does not have: refused, and
			// the 401 is not retried.
			wrong := ep.Clone()
			wrong.Secrets = webhook.Secrets{{Value: secretB}}
			del, ans := deliver(wrong, event.SessionFailed)
			assert.Equal(t, outbox.StateFailed, del.State, "wrong secret")
			assert.Equal(t, 401, del.LastStatus, "wrong secret")
			assert.NotEmpty(t, ans.Error, "wrong secret: answer %+v", ans)

			// Hand-made requests: a modified body and stale or future
			// timestamps are refused by each scheme.
			body := []byte(`{"event":"session.completed","session_id":"s","passed":true}`)
			post := func(schemes webhook.Scheme, at time.Time, sent []byte) int {
				t.Helper()
				h := http.Header{}
				s := webhook.Signer{Schemes: schemes, Secrets: webhook.Secrets{{Value: secretA}}}
				require.NoError(t, s.Sign(h, "9d3c1f7e-4b6a-4e2d-8c1b-5a7f9e3d2c10", at, body))
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(sent))
				req.Header = h
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				resp.Body.Close()
				return resp.StatusCode
			}
			now := time.Now()
			modified := bytes.Replace(body, []byte("true"), []byte("tru\u0065"), 1)
			modified = append(modified, ' ')
			for _, sc := range []webhook.Scheme{webhook.SchemeBody, webhook.SchemeTimestamped, webhook.SchemeStandard} {
				assert.Equal(t, 200, post(sc, now, body), "%v, intact", sc)
				assert.Equal(t, 401, post(sc, now, modified), "%v, modified body", sc)
				if sc == webhook.SchemeBody {
					continue
				}
				for _, skew := range []time.Duration{-400 * time.Second, 400 * time.Second} {
					assert.Equal(t, 401, post(sc, now.Add(skew), body), "%v, timestamp %v off", sc, skew)
				}
			}
		})
	}
}
