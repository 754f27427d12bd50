package main

import (
	"context"
	"errors"
	"io"
)

// STUB: replaced by the owner of this command.
func cmdClassify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("classify: not implemented yet")
}
