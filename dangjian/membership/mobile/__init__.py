"""Members away from their organisation: mobile members (流动党员) and in-service members reporting to the community where they live (双报到)."""
