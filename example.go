// Package classifyd holds what the repository root owns: the documented
// example configuration, embedded so that classifyd runs with no config file.
package classifyd

import _ "embed"

// ExampleConfig is rules.yaml, the documented example configuration.
//
//go:embed rules.yaml
var ExampleConfig []byte
