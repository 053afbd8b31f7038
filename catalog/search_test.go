package catalog

import (
	"os"
	"slices"
	"testing"
)

func demoCatalog(t *testing.T) *Catalog {
	t.Helper()
	c, err := Load(t.Context(), os.DirFS("../schemas"), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSearchFieldFindsEveryTopicCarryingIt(t *testing.T) {
	c := demoCatalog(t)
	res := c.Search("customer_id", 100)
	var messages []string
	carried := map[string]bool{}
	for _, f := range res.Fields {
		if f.Name != "customer_id" {
			t.Errorf("field hit %s.%s for customer_id", f.Message, f.Name)
		}
		messages = append(messages, f.Message)
		for _, tp := range f.Topics {
			carried[tp] = true
		}
	}
	for _, want := range []string{"acme.retail.orders.v1.OrderEvent", "acme.retail.basket.v1.BasketEvent", "acme.retail.payments.v1.AuthorizePayment"} {
		if !slices.Contains(messages, want) {
			t.Errorf("customer_id fields %v: want %s", messages, want)
		}
	}
	if !carried["acme.retail.orders.events"] {
		t.Errorf("topics carrying customer_id %v: want acme.retail.orders.events", carried)
	}
	if res.Total < len(res.Fields) {
		t.Errorf("total %d < %d field hits", res.Total, len(res.Fields))
	}
}

func TestSearchRanksNamesAboveDocs(t *testing.T) {
	c := mustLoad(t, repoWith(t), testOptions())
	res := c.Search("order", 10)
	// OrderEvent's own name starts with the word; the other messages of
	// the package only have it in their package name.
	if len(res.Messages) != 4 || res.Messages[0].Name != "acme.retail.orders.v1.OrderEvent" || res.Messages[0].Score <= res.Messages[1].Score {
		t.Fatalf("messages for order: %+v", res.Messages)
	}
	// "answers" is only in Reply's doc; "reply" is its name.
	byDoc, byName := c.Search("answers", 10).Messages, c.Search("reply", 10).Messages
	if len(byDoc) != 1 || len(byName) != 1 || byDoc[0].Name != "acme.retail.orders.v1.Reply" || byDoc[0].Score >= byName[0].Score {
		t.Errorf("doc match %+v should rank below name match %+v", byDoc, byName)
	}
	if len(res.Fields) == 0 || res.Fields[0].Name != "order_id" {
		t.Fatalf("fields for order: %+v", res.Fields)
	}
	if got := res.Messages[0].Topics; !slices.Equal(got, []string{"acme.retail.orders.events", "acme.retail.orders.private.dlq"}) {
		t.Errorf("topics carrying OrderEvent: %v", got)
	}
	if len(res.Topics) == 0 || len(res.Services) != 1 || res.Services[0].Name != "acme.retail.orders" {
		t.Errorf("topics %+v services %+v", res.Topics, res.Services)
	}
	if got := c.Search("sku on_hand", 10); len(got.Fields) != 0 || len(got.Messages) != 0 {
		t.Errorf("every word must match the same thing: %+v", got)
	}
	if got := c.Search("  ", 10); got.Total != 0 || got.Topics == nil {
		t.Errorf("blank query: %+v", got)
	}
	if got := c.Search("o", 1); len(got.Fields) != 1 || got.Total < 3 {
		t.Errorf("limit 1: %d fields, total %d", len(got.Fields), got.Total)
	}
}
