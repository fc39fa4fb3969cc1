"""The service catalogue (服务事项) and the business calendar's corrections: what residents may ask for, with its time limits."""
