// Command delete-user is the Lambda function of DELETE /users/{userId}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("deleteUser")
	if err != nil {
		log.Fatalf("delete-user: %v", err)
	}
	lambda.Start(h)
}
