package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/outbox"
)

type webhookTestRequest struct {
	URL    string `json:"url"`
	Format string `json:"format"`
}

// deliveryView is the answer of POST /v1/webhooks/test: the delivery record
// and its attempt.
type deliveryView struct {
	ID          string          `json:"id"`
	EventID     string          `json:"event_id"`
	EventType   string          `json:"event_type"`
	URL         string          `json:"url"`
	Format      string          `json:"format"`
	Test        bool            `json:"test"`
	State       string          `json:"state"`
	Attempts    int             `json:"attempts"`
	LastStatus  int             `json:"last_status"`
	LastError   string          `json:"last_error,omitempty"`
	CreatedAt   string          `json:"created_at"`
	CompletedAt *string         `json:"completed_at"`
	Payload     json.RawMessage `json:"payload"`
	AttemptLog  []attemptView   `json:"attempt_log"`
}

type attemptView struct {
	N          int     `json:"n"`
	At         string  `json:"at"`
	StatusCode int     `json:"status_code"`
	LatencyMS  float64 `json:"latency_ms"`
	Error      string  `json:"error,omitempty"`
	Response   string  `json:"response,omitempty"`
}

// TenantWebhooks is implemented by Webhooks that know each tenant's own
// endpoint (*notify.Notifier with notify.WithTenantEndpoints). With
// it, POST /v1/webhooks/test sends a key's test delivery to its tenant's
// endpoint only; only admin keys may test other URLs.
type TenantWebhooks interface {
	SendTenantTest(ctx context.Context, tenant, url string, format event.Format) (outbox.Delivery, []outbox.Attempt, error)
}

func (h *Handler) webhookTest(w http.ResponseWriter, r *http.Request) {
	key, err := h.callerKey(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req webhookTestRequest
	if err := decodeJSON(w, r, maxSmallBody, &req, false); err != nil {
		h.fail(w, r, err)
		return
	}
	if h.cfg.webhooks == nil {
		h.fail(w, r, errorf(http.StatusBadRequest, "webhooks are not configured on this server"))
		return
	}
	if len(req.URL) > maxURLLen {
		h.fail(w, r, errorf(http.StatusBadRequest, "url: too long"))
		return
	}
	format := event.Format(req.Format)
	switch format {
	case "":
		format = event.FormatEvent
	case event.FormatEvent, event.FormatCompleted:
	default:
		h.fail(w, r, errorf(http.StatusBadRequest, `format must be "event" or "completed"`))
		return
	}
	if tw, ok := h.cfg.webhooks.(TenantWebhooks); ok && !key.Admin() {
		// A key reaches its own tenant's endpoint, signed with its own
		// secret: never an address of its choosing.
		del, att, err := tw.SendTenantTest(r.Context(), key.TenantID(), req.URL, format)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, viewDelivery(del, att))
		return
	}
	if req.URL == "" {
		h.fail(w, r, errorf(http.StatusBadRequest, "url is required"))
		return
	}
	if err := h.cfg.webhooks.CheckURL(req.URL); err != nil {
		h.fail(w, r, errorf(http.StatusBadRequest, "url: "+webhookText(err)))
		return
	}
	del, att, err := h.cfg.webhooks.SendTest(r.Context(), req.URL, format)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewDelivery(del, att))
}

func viewDelivery(d outbox.Delivery, att []outbox.Attempt) deliveryView {
	v := deliveryView{
		ID: d.ID, EventID: d.EventID, EventType: string(d.EventType), URL: d.URL, Format: string(d.Format),
		Test: d.Test, State: string(d.State), Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError,
		CreatedAt:  d.CreatedAt.UTC().Format(time.RFC3339),
		Payload:    json.RawMessage(d.Payload),
		AttemptLog: []attemptView{},
	}
	if !json.Valid(d.Payload) {
		v.Payload = json.RawMessage("null")
	}
	if !d.CompletedAt.IsZero() {
		at := d.CompletedAt.UTC().Format(time.RFC3339)
		v.CompletedAt = &at
	}
	for _, a := range att {
		v.AttemptLog = append(v.AttemptLog, attemptView{
			N: a.N, At: a.At.UTC().Format(time.RFC3339), StatusCode: a.StatusCode,
			LatencyMS: float64(a.Latency.Microseconds()) / 1000, Error: a.Error, Response: a.Response,
		})
	}
	return v
}
