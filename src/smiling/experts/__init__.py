"""Expert training on the true reward and demonstration collection."""
