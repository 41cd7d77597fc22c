"""The kit's tests, one module per part of the driver contract; ``DriverConformance`` combines them."""
