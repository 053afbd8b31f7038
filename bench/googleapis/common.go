package main

// The shared files every API imports, in the shape of googleapis' own
// (google/api annotations, common types, status, long-running operations,
// IAM), shortened.
var commonFiles = map[string]string{
	"google/api/http.proto": `syntax = "proto3";

package google.api;

option go_package = "google.golang.org/genproto/googleapis/api/annotations;annotations";

// Defines the HTTP configuration for an API service.
message Http {
  // A list of HTTP configuration rules that apply to individual API methods.
  repeated HttpRule rules = 1;
  // When set to true, URL path parameters will be fully URI-decoded.
  bool fully_decode_reserved_expansion = 2;
}

// Maps an RPC method to one or more HTTP REST API methods.
message HttpRule {
  // Selects a method to which this rule applies.
  string selector = 1;
  // Determines the URL pattern is matched by this rules.
  oneof pattern {
    // Maps to HTTP GET.
    string get = 2;
    // Maps to HTTP PUT.
    string put = 3;
    // Maps to HTTP POST.
    string post = 4;
    // Maps to HTTP DELETE.
    string delete = 5;
    // Maps to HTTP PATCH.
    string patch = 6;
    // The custom pattern.
    CustomHttpPattern custom = 8;
  }
  // The name of the request field whose value is mapped to the HTTP request body.
  string body = 7;
  // The name of the response field whose value is mapped to the HTTP response body.
  string response_body = 12;
  // Additional HTTP bindings for the selector.
  repeated HttpRule additional_bindings = 11;
}

// A custom pattern is used for defining custom HTTP verb.
message CustomHttpPattern {
  // The name of this custom HTTP verb.
  string kind = 1;
  // The path matched by this custom verb.
  string path = 2;
}
`,
	"google/api/annotations.proto": `syntax = "proto3";

package google.api;

import "google/api/http.proto";
import "google/protobuf/descriptor.proto";

option go_package = "google.golang.org/genproto/googleapis/api/annotations;annotations";

extend google.protobuf.MethodOptions {
  // See HttpRule.
  HttpRule http = 72295728;
}
`,
	"google/api/client.proto": `syntax = "proto3";

package google.api;

import "google/protobuf/descriptor.proto";

option go_package = "google.golang.org/genproto/googleapis/api/annotations;annotations";

extend google.protobuf.MethodOptions {
  // A definition of a client library method signature.
  repeated string method_signature = 1051;
}

extend google.protobuf.ServiceOptions {
  // The hostname for this service.
  string default_host = 1049;
  // OAuth scopes needed for the client.
  string oauth_scopes = 1050;
}
`,
	"google/api/field_behavior.proto": `syntax = "proto3";

package google.api;

import "google/protobuf/descriptor.proto";

option go_package = "google.golang.org/genproto/googleapis/api/annotations;annotations";

extend google.protobuf.FieldOptions {
  // A designation of a specific field behavior (required, output only, etc.)
  repeated google.api.FieldBehavior field_behavior = 1052 [packed = false];
}

// An indicator of the behavior of a given field.
enum FieldBehavior {
  // Conventional default for enums. Do not use this.
  FIELD_BEHAVIOR_UNSPECIFIED = 0;
  // Specifically denotes a field as optional.
  OPTIONAL = 1;
  // Denotes a field as required.
  REQUIRED = 2;
  // Denotes a field as output only.
  OUTPUT_ONLY = 3;
  // Denotes a field as input only.
  INPUT_ONLY = 4;
  // Denotes a field as immutable.
  IMMUTABLE = 5;
  // Denotes that a (repeated) field is an unordered list.
  UNORDERED_LIST = 6;
  // Denotes that this field returns a non-empty default value if not set.
  NON_EMPTY_DEFAULT = 7;
  // Denotes that the field in a resource (a message annotated with google.api.resource) is used in the resource name.
  IDENTIFIER = 8;
}
`,
	"google/api/resource.proto": `syntax = "proto3";

package google.api;

import "google/protobuf/descriptor.proto";

option go_package = "google.golang.org/genproto/googleapis/api/annotations;annotations";

extend google.protobuf.FieldOptions {
  // An annotation that describes a resource reference.
  google.api.ResourceReference resource_reference = 1055;
}

extend google.protobuf.FileOptions {
  // An annotation that describes a resource definition without a corresponding message.
  repeated google.api.ResourceDescriptor resource_definition = 1053;
}

extend google.protobuf.MessageOptions {
  // An annotation that describes a resource definition.
  google.api.ResourceDescriptor resource = 1053;
}

// A simple descriptor of a resource type.
message ResourceDescriptor {
  // A description of the historical or future-looking state of the resource pattern.
  enum History {
    // The "unset" value.
    HISTORY_UNSPECIFIED = 0;
    // The resource originally had one pattern and launched as such.
    ORIGINALLY_SINGLE_PATTERN = 1;
    // The resource has one pattern, but the API owner expects to add more later.
    FUTURE_MULTI_PATTERN = 2;
  }
  // The resource type.
  string type = 1;
  // The relative resource name pattern associated with this resource type.
  repeated string pattern = 2;
  // The field on the resource that designates the resource name field.
  string name_field = 3;
  // Optional. The historical or future-looking state of the resource pattern.
  History history = 4;
  // The plural name used in the resource name and permission names.
  string plural = 5;
  // The same concept of the singular field in k8s CRD spec.
  string singular = 6;
}

// Defines a proto annotation that describes a string field that refers to an API resource.
message ResourceReference {
  // The resource type that the annotated field references.
  string type = 1;
  // The resource type of a child collection that the annotated field references.
  string child_type = 2;
}
`,
	"google/api/launch_stage.proto": `syntax = "proto3";

package google.api;

option go_package = "google.golang.org/genproto/googleapis/api;api";

// The launch stage as defined by Google Cloud Platform Launch Stages.
enum LaunchStage {
  // Do not use this default value.
  LAUNCH_STAGE_UNSPECIFIED = 0;
  // The feature is not yet implemented.
  UNIMPLEMENTED = 6;
  // Prelaunch features are hidden from users.
  PRELAUNCH = 7;
  // Early Access features are limited to a closed group of testers.
  EARLY_ACCESS = 1;
  // Alpha is a limited availability test for releases before they are cleared for widespread use.
  ALPHA = 2;
  // Beta is the point at which we are ready to open a release for any customer.
  BETA = 3;
  // GA features are open to all developers.
  GA = 4;
  // Deprecated features are scheduled to be shut down and removed.
  DEPRECATED = 5;
}
`,
	"google/type/money.proto": `syntax = "proto3";

package google.type;

option go_package = "google.golang.org/genproto/googleapis/type/money;money";

// Represents an amount of money with its currency type.
message Money {
  // The three-letter currency code defined in ISO 4217.
  string currency_code = 1;
  // The whole units of the amount.
  int64 units = 2;
  // Number of nano (10^-9) units of the amount.
  int32 nanos = 3;
}
`,
	"google/type/date.proto": `syntax = "proto3";

package google.type;

option go_package = "google.golang.org/genproto/googleapis/type/date;date";

// Represents a whole or partial calendar date, such as a birthday.
message Date {
  // Year of the date.
  int32 year = 1;
  // Month of a year.
  int32 month = 2;
  // Day of a month.
  int32 day = 3;
}
`,
	"google/type/latlng.proto": `syntax = "proto3";

package google.type;

option go_package = "google.golang.org/genproto/googleapis/type/latlng;latlng";

// An object that represents a latitude/longitude pair.
message LatLng {
  // The latitude in degrees.
  double latitude = 1;
  // The longitude in degrees.
  double longitude = 2;
}
`,
	"google/type/postal_address.proto": `syntax = "proto3";

package google.type;

option go_package = "google.golang.org/genproto/googleapis/type/postaladdress;postaladdress";

// Represents a postal address.
message PostalAddress {
  // The schema revision of the PostalAddress.
  int32 revision = 1;
  // Required. CLDR region code of the country/region of the address.
  string region_code = 2;
  // Optional. BCP-47 language code of the contents of this address.
  string language_code = 3;
  // Optional. Postal code of the address.
  string postal_code = 4;
  // Optional. Additional, country-specific, sorting code.
  string sorting_code = 5;
  // Optional. Highest administrative subdivision which is used for postal addresses.
  string administrative_area = 6;
  // Optional. Generally refers to the city/town portion of the address.
  string locality = 7;
  // Optional. Sublocality of the address.
  string sublocality = 8;
  // Unstructured address lines describing the lower levels of an address.
  repeated string address_lines = 9;
  // Optional. The recipient at the address.
  repeated string recipients = 10;
  // Optional. The name of the organization at the address.
  string organization = 11;
}
`,
	"google/type/interval.proto": `syntax = "proto3";

package google.type;

import "google/protobuf/timestamp.proto";

option go_package = "google.golang.org/genproto/googleapis/type/interval;interval";

// Represents a time interval.
message Interval {
  // Optional. Inclusive start of the interval.
  google.protobuf.Timestamp start_time = 1;
  // Optional. Exclusive end of the interval.
  google.protobuf.Timestamp end_time = 2;
}
`,
	"google/type/expr.proto": `syntax = "proto3";

package google.type;

option go_package = "google.golang.org/genproto/googleapis/type/expr;expr";

// Represents a textual expression in the Common Expression Language (CEL) syntax.
message Expr {
  // Textual representation of an expression in Common Expression Language syntax.
  string expression = 1;
  // Optional. Title for the expression.
  string title = 2;
  // Optional. Description of the expression.
  string description = 3;
  // Optional. String indicating the location of the expression for error reporting.
  string location = 4;
}
`,
	"google/rpc/status.proto": `syntax = "proto3";

package google.rpc;

import "google/protobuf/any.proto";

option go_package = "google.golang.org/genproto/googleapis/rpc/status;status";

// The Status type defines a logical error model.
message Status {
  // The status code, which should be an enum value of google.rpc.Code.
  int32 code = 1;
  // A developer-facing error message, which should be in English.
  string message = 2;
  // A list of messages that carry the error details.
  repeated google.protobuf.Any details = 3;
}
`,
	"google/longrunning/operations.proto": `syntax = "proto3";

package google.longrunning;

import "google/api/annotations.proto";
import "google/api/client.proto";
import "google/protobuf/any.proto";
import "google/protobuf/descriptor.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/empty.proto";
import "google/rpc/status.proto";

option go_package = "cloud.google.com/go/longrunning/autogen/longrunningpb;longrunningpb";

extend google.protobuf.MethodOptions {
  // Additional information regarding long-running operations.
  google.longrunning.OperationInfo operation_info = 1049;
}

// Manages long-running operations with an API service.
service Operations {
  option (google.api.default_host) = "longrunning.googleapis.com";

  // Lists operations that match the specified filter in the request.
  rpc ListOperations(ListOperationsRequest) returns (ListOperationsResponse) {
    option (google.api.http) = {
      get: "/v1/{name=operations}"
    };
    option (google.api.method_signature) = "name,filter";
  }

  // Gets the latest state of a long-running operation.
  rpc GetOperation(GetOperationRequest) returns (Operation) {
    option (google.api.http) = {
      get: "/v1/{name=operations/**}"
    };
    option (google.api.method_signature) = "name";
  }

  // Deletes a long-running operation.
  rpc DeleteOperation(DeleteOperationRequest) returns (google.protobuf.Empty) {
    option (google.api.http) = {
      delete: "/v1/{name=operations/**}"
    };
    option (google.api.method_signature) = "name";
  }
}

// This resource represents a long-running operation that is the result of a network API call.
message Operation {
  // The server-assigned name.
  string name = 1;
  // Service-specific metadata associated with the operation.
  google.protobuf.Any metadata = 2;
  // If the value is false, it means the operation is still in progress.
  bool done = 3;
  // The operation result, which can be either an error or a valid response.
  oneof result {
    // The error result of the operation in case of failure or cancellation.
    google.rpc.Status error = 4;
    // The normal, successful response of the operation.
    google.protobuf.Any response = 5;
  }
}

// The request message for Operations.GetOperation.
message GetOperationRequest {
  // The name of the operation resource.
  string name = 1;
}

// The request message for Operations.ListOperations.
message ListOperationsRequest {
  // The name of the operation's parent resource.
  string name = 4;
  // The standard list filter.
  string filter = 1;
  // The standard list page size.
  int32 page_size = 2;
  // The standard list page token.
  string page_token = 3;
}

// The response message for Operations.ListOperations.
message ListOperationsResponse {
  // A list of operations that matches the specified filter in the request.
  repeated Operation operations = 1;
  // The standard List next-page token.
  string next_page_token = 2;
}

// The request message for Operations.DeleteOperation.
message DeleteOperationRequest {
  // The name of the operation resource to be deleted.
  string name = 1;
}

// The waiting time of the operation.
message WaitOperationRequest {
  // The name of the operation resource to wait on.
  string name = 1;
  // The maximum duration to wait before timing out.
  google.protobuf.Duration timeout = 2;
}

// A message representing the message types used by a long-running operation.
message OperationInfo {
  // Required. The message name of the primary return type for this long-running operation.
  string response_type = 1;
  // Required. The message name of the metadata type for this long-running operation.
  string metadata_type = 2;
}
`,
	"google/iam/v1/policy.proto": `syntax = "proto3";

package google.iam.v1;

import "google/type/expr.proto";

option go_package = "cloud.google.com/go/iam/apiv1/iampb;iampb";

// An Identity and Access Management (IAM) policy.
message Policy {
  // Specifies the format of the policy.
  int32 version = 1;
  // Associates a list of members, or principals, with a role.
  repeated Binding bindings = 4;
  // etag is used for optimistic concurrency control.
  bytes etag = 3;
}

// Associates members, or principals, with a role.
message Binding {
  // Role that is assigned to the list of members, or principals.
  string role = 1;
  // Specifies the principals requesting access for a Google Cloud resource.
  repeated string members = 2;
  // The condition that is associated with this binding.
  google.type.Expr condition = 3;
}
`,
}
