"""moto's server with each DynamoDB request applied atomically, as DynamoDB applies it.

moto serves requests on threads and updates items without a lock: two UpdateItems that ADD to one counter
at the same time can both read the old value, and one increment is lost (a fan-out operation then waits for a
share it has counted). DynamoDB never loses one. Here every DynamoDB request runs under one lock; S3, SQS and
the others stay concurrent (SQS long polls would otherwise hold everything).
"""

import sys
import threading


def serialize_dynamodb() -> None:
    try:
        from moto.dynamodb.responses import DynamoHandler
    except ImportError as error:  # a moto without DynamoDB: nothing to guard
        print(f"moto-server: DynamoDB requests left concurrent ({error})", file=sys.stderr)
        return
    lock = threading.Lock()
    call_action = DynamoHandler.call_action

    def atomic_call_action(self):
        with lock:
            return call_action(self)

    DynamoHandler.call_action = atomic_call_action


if __name__ == "__main__":
    serialize_dynamodb()
    from moto.server import main

    main(sys.argv[1:])
