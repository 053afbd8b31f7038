// Package test holds Backbone's black-box tests: they build the real
// binary, run it as a user would, and check the project's shape.
package test
