package api_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/backbone-registry/backbone/catalog"
)

func TestSearch(t *testing.T) {
	t.Parallel()
	tapi := newAPI(t, loadFixture(t))
	resp := tapi.Get("/v1/search?q=order_id")
	if resp.Code != http.StatusOK {
		t.Fatalf("status %d: %s", resp.Code, resp.Body)
	}
	res := decode[catalog.SearchResults](t, resp)
	var got []string
	for _, f := range res.Fields {
		got = append(got, f.Message+"."+f.Name+" "+f.Topics[0])
	}
	want := []string{
		"acme.retail.orders.v1.OrderCommand.order_id acme.retail.orders.commands",
		"acme.retail.orders.v1.OrderEvent.order_id acme.retail.orders.events",
	}
	if !slices.Equal(got, want) || res.Total != 2 {
		t.Errorf("fields for order_id: %v (total %d), want %v", got, res.Total, want)
	}

	res = decode[catalog.SearchResults](t, tapi.Get("/v1/search?q=stock&limit=1"))
	if len(res.Services) != 1 || res.Services[0].Name != "acme.warehouse.stock" {
		t.Errorf("services for stock: %+v", res.Services)
	}

	for _, bad := range []string{"/v1/search", "/v1/search?q=x&limit=0", "/v1/search?q=x&limit=abc"} {
		if resp := tapi.Get(bad); resp.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422: %s", bad, resp.Code, resp.Body)
		}
	}
}
