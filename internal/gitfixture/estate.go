package gitfixture

// The small estate most sync tests commit first (catalog's ingestion and
// sync tests, the black-box fault and replica tests), with the fields the
// orders event goes through in their histories.

// OrdersTopic is the estate's topic with a history in most tests.
const OrdersTopic = "acme.retail.orders.events"

// OrdersYAML is a file of the estate.
const OrdersYAML = `description: Orders.
owner: orders-team
topics:
  - name: events
    description: Order facts.
    value: acme.retail.orders.v1.OrderEvent
    key: string
    compatibility: BACKWARD_TRANSITIVE
`

// StockYAML is a file of the estate.
const StockYAML = `description: Stock.
owner: stock-team
consumes: [acme.retail.orders.events]
topics:
  - name: events
    description: Stock facts.
    value: acme.retail.stock.v1.StockEvent
`

// MoneyProto is a file of the estate.
const MoneyProto = "syntax = \"proto3\";\npackage acme.common.v1;\n// Money.\nmessage Money {\n  // ISO 4217.\n  string currency = 1;\n  // Minor units.\n  int64 minor = 2;\n}\n"

// StockProto is a file of the estate.
const StockProto = "syntax = \"proto3\";\npackage acme.retail.stock.v1;\nimport \"common/v1/money.proto\";\n// A stock fact.\nmessage StockEvent {\n  // SKU.\n  string sku = 1;\n  // Value.\n  acme.common.v1.Money value = 2;\n}\n"

// OrdersPath is a file of the estate.
const OrdersPath = "schemas/retail/orders/v1/orders.proto"

// Fields of the orders event through the tests' histories.
const (
	FieldsV1       = "  // The order.\n  string order_id = 1;\n  // Its total.\n  acme.common.v1.Money total = 2;\n  // A note.\n  string note = 3;\n"
	FieldsChannel  = FieldsV1 + "  // Sales channel.\n  string channel = 4;\n"
	FieldsGift     = FieldsChannel + "  // Gift?\n  bool gift = 5;\n"
	FieldsNoNote   = "  // The order.\n  string order_id = 1;\n  // Its total.\n  acme.common.v1.Money total = 2;\n" // breaking: note deleted, number not reserved
	FieldsReserved = FieldsNoNote + "  reserved 3;\n  reserved \"note\";\n"
)

// OrdersProto is orders.proto with the given fields in OrderEvent.
func OrdersProto(fields string) string {
	return "syntax = \"proto3\";\npackage acme.retail.orders.v1;\nimport \"common/v1/money.proto\";\n// An order fact.\nmessage OrderEvent {\n" + fields + "}\n"
}

// BaseFiles is the estate: a valid two-service repository under schemas/,
// orders (whose events stock consumes) and stock, sharing
// common/v1/money.proto, plus a file outside the schema root.
func BaseFiles() map[string]string {
	return map[string]string{
		"schemas/registry.yaml":               "company: acme\n",
		"schemas/common/v1/money.proto":       MoneyProto,
		"schemas/retail/orders/service.yaml":  OrdersYAML,
		OrdersPath:                            OrdersProto(FieldsV1),
		"schemas/retail/stock/service.yaml":   StockYAML,
		"schemas/retail/stock/v1/stock.proto": StockProto,
		"README.md":                           "not part of the schemas",
	}
}
