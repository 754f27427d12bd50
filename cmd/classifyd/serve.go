package main

import (
	"context"
	"errors"
	"io"
)

// STUB: replaced by the owner of this command.
func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("serve: not implemented yet")
}
