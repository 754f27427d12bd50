//go:build !linux

package daemon

import "os"

// openForWriting is unknown here: the settle time alone decides.
func openForWriting(*os.File) bool { return false }
