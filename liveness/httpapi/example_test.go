package httpapi_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/apikey"
	"github.com/openliveness/openliveness/liveness/httpapi"
)

// Mount the API on a server and create a session with an API key.
func Example() {
	engine, err := liveness.New()
	if err != nil {
		log.Fatal(err)
	}
	keys := apikey.NewMemoryStore()
	key, _, err := apikey.Create(context.Background(), keys, "backend", rand.Reader, time.Now())
	if err != nil {
		log.Fatal(err)
	}
	h, err := httpapi.New(engine,
		httpapi.WithKeys(apikey.Verifier{Store: keys}),
		httpapi.WithPublicURL("https://liveness.example.com"),
		httpapi.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/v1/sessions", strings.NewReader(`{"challenges":["BLINK"]}`))
	req.Header.Set("X-API-Key", key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println(res.StatusCode, strings.Contains(string(body), `"challenges":["BLINK"]`),
		strings.Contains(string(body), `"hosted_url":"https://liveness.example.com/check?s=`))

	req, _ = http.NewRequest("POST", srv.URL+"/v1/sessions", nil) // no key
	res, _ = http.DefaultClient.Do(req)
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Print(res.StatusCode, " ", string(body))
	// Output:
	// 201 true true
	// 401 {"error":"missing API key (X-API-Key)","code":"unauthorized"}
}
