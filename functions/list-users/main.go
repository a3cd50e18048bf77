// Command list-users is the Lambda function of GET /users.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("listUsers")
	if err != nil {
		log.Fatalf("list-users: %v", err)
	}
	lambda.Start(h)
}
