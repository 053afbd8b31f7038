package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backbone-registry/backbone/api"
	"github.com/backbone-registry/backbone/internal/estate"
	"github.com/backbone-registry/backbone/internal/gitfixture"
)

// A topic stuck on a rejected commit lists, in GET /v1/topics as in its
// detail, the key and values of the version it serves, not those of the
// rejected commit.
func TestStuckTopicListsServedContract(t *testing.T) {
	t.Parallel()
	repo := gitfixture.New(t)
	files := gitfixture.BaseFiles()
	repo.Commit("initial", files)
	// The rejected commit points the topic at another message, whose
	// field 1 is no longer a string.
	files[gitfixture.OrdersPath] = gitfixture.OrdersProto(gitfixture.FieldsV1) + "// Another.\nmessage OrderPlaced {\n  // The order.\n  int64 order_id = 1;\n}\n"
	files["schemas/retail/orders/service.yaml"] = strings.Replace(gitfixture.OrdersYAML, "v1.OrderEvent", "v1.OrderPlaced", 1)
	repo.Commit("another value", files)
	at := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	snap, store, err := estate.Ingest(t.Context(), repo.Dir, "schemas", filepath.Join(t.TempDir(), "r.db"), func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, ok := snap.Catalog().History().OpenRejection(gitfixture.OrdersTopic); !ok {
		t.Fatalf("the commit was not rejected: %+v", snap.Catalog().History().Rejections())
	}
	srv := httptest.NewServer(api.New(snap, api.Config{}))
	t.Cleanup(srv.Close)

	var list struct {
		Topics []struct {
			Name   string `json:"name"`
			Values []struct {
				Name string `json:"name"`
			} `json:"values"`
		} `json:"topics"`
	}
	resp, err := http.Get(srv.URL + "/v1/topics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/topics: %d, %v", resp.StatusCode, err)
	}
	for _, tp := range list.Topics {
		if tp.Name != gitfixture.OrdersTopic {
			continue
		}
		if len(tp.Values) != 1 || tp.Values[0].Name != "acme.retail.orders.v1.OrderEvent" {
			t.Fatalf("the stuck topic lists values %+v, want the served acme.retail.orders.v1.OrderEvent", tp.Values)
		}
		return
	}
	t.Fatalf("%s not listed", gitfixture.OrdersTopic)
}
