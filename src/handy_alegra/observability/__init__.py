"""What an operator watches the process by: Prometheus series and structured logs."""
