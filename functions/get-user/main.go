// Command get-user is the Lambda function of GET /users/{userId}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("getUser")
	if err != nil {
		log.Fatalf("get-user: %v", err)
	}
	lambda.Start(h)
}
