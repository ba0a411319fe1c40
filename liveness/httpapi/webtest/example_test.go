package webtest_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/openliveness/openliveness/liveness/httpapi/webtest"
)

func ExampleServer() {
	// A mock API that passes each challenge at its second frame submission,
	// serving the hosted page with frame-ancestors for one partner origin.
	srv, err := webtest.NewServer(webtest.PassAfter(2), []string{"https://partner.example"})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	target := webtest.Target{BaseURL: ts.URL, NewSession: webtest.APISessions(ts.URL, srv.APIKey(), ts.Client())}
	s, err := target.NewSession(context.Background(), webtest.SessionRequest{Challenges: []string{"BLINK", "SMILE"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Challenges, srv.Status(s.ID), len(srv.Submissions(s.ID)))
	// Output:
	// [BLINK SMILE] pending 0
}
