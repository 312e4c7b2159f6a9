"""The shop's own tiny producer: payments, and a receipt for each, as CloudEvents on Kafka.

``python producer.py HOST:PORT --payments 5`` publishes five ``payment.received`` on
``shop.payments`` and, a second later in event time, one ``receipt.issued`` per payment on
``shop.receipts`` (binary content mode: ``ce_*`` headers, the JSON data as the value, the
payment id as the key). ``--break FIELD`` drops that field from every payment, to see accord
catch it. It uses kafka-python only: nothing of accord.
"""

from __future__ import annotations

import argparse
import json
import uuid
from datetime import UTC, datetime, timedelta

from kafka import KafkaProducer


def _record(event_type: str, source: str, key: str, time: datetime, data: dict[str, str]) -> dict:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    headers = {
        "ce_specversion": "1.0",
        "ce_id": str(uuid.uuid4()),
        "ce_source": source,
        "ce_type": event_type,
        "ce_time": stamp,
        "ce_partitionkey": key,
        "content-type": "application/json",
    }
    return {
        "key": key.encode(),
        "value": json.dumps(data).encode(),
        "headers": [(name, value.encode()) for name, value in headers.items()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bootstrap", help="HOST:PORT of the broker")
    parser.add_argument("--payments", type=int, default=5)
    parser.add_argument("--break", dest="broken", default=None, metavar="FIELD")
    args = parser.parse_args()
    producer = KafkaProducer(bootstrap_servers=args.bootstrap, linger_ms=20)
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    for n in range(args.payments):
        payment_id = str(uuid.uuid4())
        paid_at = start + timedelta(minutes=n)
        stamp = paid_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        payment = {
            "paymentId": payment_id,
            "amount": f"{10 + n}.50",
            "paidAt": stamp,
            "note": "card",
        }
        if args.broken:
            payment.pop(args.broken, None)
        issued = paid_at + timedelta(seconds=1)
        receipt = {
            "receiptId": str(uuid.uuid4()),
            "paymentId": payment_id,
            "amount": payment.get("amount", "0.00"),
            "issuedAt": issued.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        producer.send(
            "shop.payments",
            **_record("payment.received", "/shop/payments", payment_id, paid_at, payment),
        )
        producer.send(
            "shop.receipts",
            **_record("receipt.issued", "/shop/receipts", payment_id, issued, receipt),
        )
    producer.flush()
    producer.close()


if __name__ == "__main__":
    main()
