// Command hello is the reference of the cold-start and size benchmarks: aws-lambda-go's
// lambda.Start on a handler that does nothing, built exactly like the functions. What a
// function costs beyond it is what our code and its dependencies cost.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, map[string]any) (string, error) { return "hello", nil })
}
