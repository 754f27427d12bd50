package main

import (
	"context"
	"errors"
	"io"
)

// STUB: replaced by the owner of this command.
func cmdOnce(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("once: not implemented yet")
}
