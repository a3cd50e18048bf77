// Command update-user is the Lambda function of PATCH /users/{userId}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("updateUser")
	if err != nil {
		log.Fatalf("update-user: %v", err)
	}
	lambda.Start(h)
}
